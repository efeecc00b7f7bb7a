"""DynamoDB expressions with a placeholder for every name and value, so no user string is ever parsed."""

from typing import Any

from stormwatch.store.codec import to_attr


class Expression:
    """Builds an update or condition expression with placeholders for every name and value."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self._placeholders: dict[str, str] = {}

    def name(self, path: str) -> str:
        """Placeholders for a dotted document path; each part is one attribute or map key name."""
        return ".".join(self.segment(part) for part in path.split("."))

    def segment(self, name: str) -> str:
        """A placeholder for one name, which may itself contain dots (evidence keys do)."""
        placeholder = self._placeholders.get(name)
        if placeholder is None:
            placeholder = self._placeholders[name] = f"#n{len(self.names)}"
            self.names[placeholder] = name
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = to_attr(value)
        return placeholder

    def request(self) -> dict[str, Any]:
        request: dict[str, Any] = {}
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        return request
