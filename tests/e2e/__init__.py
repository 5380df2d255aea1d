"""End-to-end: a real Home Assistant process with the simulator, driven over HTTP and a browser."""
