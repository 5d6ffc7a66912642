"""Development kit: what the local runner, the tests and the benchmarks share, and Azure never runs.

Demo data, builders of ACS events as Event Grid delivers them, the Event Grid replay, a fake
OpenAI-compatible server and a fake of the ACS Messages API (``fake_acs``). It lives outside
``shared/`` so the deployed package holds only what production executes (``.funcignore`` leaves
this folder out, and ``tests/test_deployment.py`` checks that nothing deployed imports it).
"""
