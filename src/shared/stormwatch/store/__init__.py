"""Data access for the one DynamoDB table.

Translates DynamoDB errors into domain errors and returns domain models."""
