"""The Wi-Fi (or wired) hotspot: AP backends, passphrase policy, join QR, client list."""
