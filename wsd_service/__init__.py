"""Online half of the WSD service: kNN disambiguation with explanations, REST API, benchmark."""
