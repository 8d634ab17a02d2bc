"""The REST API (`app`), its request and response bodies (`schemas`), its error responses (`errors`) and
the web page (`static/`)."""
