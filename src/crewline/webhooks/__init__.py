"""Project webhooks: signed ``task.completed`` and ``project.completed`` events.

Follows the Standard Webhooks specification (https://www.standardwebhooks.com).
"""
