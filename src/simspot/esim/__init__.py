"""eSIM: an SGP.22 Local Profile Assistant (ES10 over APDUs, ES9+/ES11 over HTTPS)."""
