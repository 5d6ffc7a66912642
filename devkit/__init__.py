"""Development-only support: local fakes, demo data, event builders; never deployed."""
