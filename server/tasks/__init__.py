"""Process entry points: the notification worker and the scheduler. Jobs take ids, not objects."""
