"""The secretariat's weekly work: roster import, completion, the before/after report, exports."""
