"""Benchmarks (`make bench`): tables of throughput and latency, each beside a baseline
measured in the same run, since shared machines are noisy."""
