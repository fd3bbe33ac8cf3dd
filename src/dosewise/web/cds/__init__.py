"""CDS Hooks 2.0.1 services for EHRs: discovery, order-select, order-sign and feedback."""
