"""A library, not a service: API keys (issued, verified and revoked in `sdg-keys`) and the rules for tenant names.
The API checks keys with it; the server's CLI issues the first operator key with it."""
