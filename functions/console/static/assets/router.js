// Paths of the console to pages: each page is its own module, loaded when first opened.

const ROUTES = [
  [/^\/(?:console\/?)?$/, "incidents"],
  [/^\/console\/incidents\/?$/, "incidents"],
  [/^\/console\/incidents\/(?<id>[^/]+)$/, "incident"],
  [/^\/console\/incidents\/(?<id>[^/]+)\/postmortem$/, "postmortem"],
  [/^\/console\/new\/?$/, "new-incident"],
  [/^\/console\/dashboard\/?$/, "dashboard"],
  [/^\/console\/schedules\/?$/, "schedules"],
  [/^\/console\/admin(?:\/(?<tab>[a-z-]+))?\/?$/, "admin"],
  [/^\/console\/signed-in$/, "signed-in"],
];

/** The page for a path and its parameters, or null. */
export function match(path) {
  for (const [pattern, page] of ROUTES) {
    const found = pattern.exec(path);
    if (found) return { page, params: { ...(found.groups || {}) } };
  }
  return null;
}
