"""All I/O: the SQL store, the HTTP client, outbound channels, TwiML rendering."""
