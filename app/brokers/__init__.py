"""Broker adapters. Only the engine thread creates or calls them."""
