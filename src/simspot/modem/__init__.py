"""Real modem, SIM-slot and battery adapters (ModemManager and UPower over D-Bus, sysfs)."""
