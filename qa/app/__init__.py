"""What users run: the `qa` command line and the web app."""
