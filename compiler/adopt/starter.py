"""The starter site `tailgen init` writes for a tailnet that has no policy yet.

One person, one home behind a subnet router, one machine serving one model: the smallest site
that shows each part of the model. Every value to change is marked "placeholder"; the file
builds and checks cleanly as it is, so `init` → `build` → `check` works in an empty directory.
"""

from __future__ import annotations

STARTER_SITE = """\
# yaml-language-server: $schema=site.schema.json
#
# A starter site for a fresh tailnet: one person, one home, one machine that serves one model.
# Change the values marked "placeholder", then:
#   tailgen build     # site.yaml -> out/ (policy, split DNS, launch configs)
#   tailgen check     # out/ is exactly what site.yaml builds (the CI gate)
# Starting from a tailnet that already has a policy? `tailgen import policy.hujson` instead.

tailnet: "-"                      # "-" = the tailnet of the API key
plan: personal                    # Personal plan limits: 6 users, 3 ACL groups, 50 tagged devices

users:
  me: {login: me@example.com, role: admin}    # placeholder: your login as Tailscale shows it

tags:
  router: {owners: [me]}          # the machine that routes the home LAN into the tailnet
  ai:     {owners: [me]}          # machines that run model servers

locations:
  home:
    name: Home
    subnets: [192.168.1.0/24]     # placeholder: your home LAN
    router: home-router

devices:
  home-router:                    # advertises the home LAN; its route is auto-approved
    {os: linux, location: home, tags: [router], routes: [192.168.1.0/24],
     tailscale_ip: 100.64.0.1}    # placeholder: the address Tailscale gave it
  workstation:
    {os: linux, location: home, tags: [ai], tailscale_ip: 100.64.0.2}   # placeholder
  my-laptop: {os: macos, owner: me, tailscale_ip: 100.64.0.3}           # placeholder

services:
  ollama:                         # bound to the tailnet address only, never 0.0.0.0
    device: workstation
    kind: ollama
    port: [11434]
    allow: [me]
"""
