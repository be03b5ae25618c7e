"""The runtime every shop service shares: server lifecycle, HTTP/JSON transcoding,
interceptors, logging, configuration, and database plumbing. No business logic."""
