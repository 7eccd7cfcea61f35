"""Live targets: the Tailscale API and headscale (plan, push, rollback)."""
