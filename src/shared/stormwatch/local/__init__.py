"""The local stack (`stormwatch dev`): DynamoDB from moto, the HTTP API from template.yaml, the real handlers.

Development only: nothing here is imported by a Lambda handler.
"""
