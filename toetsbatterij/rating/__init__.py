"""Rating of writing and speaking responses: queues, blind double rating, adjudication, rater
quality. ``resolution`` holds the pure rules that turn ratings into the scores a result uses."""
