"""citynet's infrastructure: settings, the Litestar app, the CLI."""
