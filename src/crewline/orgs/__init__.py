"""Organizations: the clients who buy data and the staffing vendors who supply people (layer 0).

They sit below auth because users (client viewers, vendor managers) and persons (vendor-supplied
workers) point at them.
"""
