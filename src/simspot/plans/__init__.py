"""Data plans: allowances, billing cycles, usage ledger, warnings, forecast, enforcement."""
