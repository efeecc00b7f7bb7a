"""Test-wide set-up. The environment is fixed before anything imports stormwatch: fake credentials and a
region so no test can reach AWS, and no endpoint override so boto3 talks to moto's in-process mock."""

import os

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "STORMWATCH_TABLE_NAME": "stormwatch-test",
        "STORMWATCH_CURSOR_SECRET": "cursor-secret-for-tests-only",
        "POWERTOOLS_SERVICE_NAME": "stormwatch",
        "POWERTOOLS_METRICS_NAMESPACE": "Stormwatch",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
for name in ("STORMWATCH_DYNAMODB_ENDPOINT_URL", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(name, None)
