package legacy

allow { input.ok }
