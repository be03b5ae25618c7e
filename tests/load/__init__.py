"""Load tests with locust: the shoppers (locustfile.py), how to run locust and read its
results (run.py), and `make loadtest` (__main__.py). README.md says how to use them."""
