"""The live tailnet: the Tailscale API client, live state as a snapshot, plan/push/rollback.

- `operations`: the API operations tailgen uses (paths, scopes, which are safe to retry);
- `credentials`, `oauth`: API key or OAuth client from env/keyring; tokens cached in memory;
- `client`: the httpx client (`TailscaleClient`), typed errors in `errors`;
- `provider`: the small interface a control plane implements (Tailscale here; headscale in
  `headscale`), so plan/push/rollback do not care which one they talk to;
- `live`: live state → a review `Snapshot`, and device drift against the site;
- `planfile`, `backup`, `push`: the saved plan, backups, and the guarded apply and rollback;
- `emulator`: a local HTTP emulator of the API for tests and rehearsals.
"""
