"""Calibration with uncertainty: ABC-SMC (pyabc) over the crisis library, posterior predictive
checks, leave-one-crisis-out, and what-ifs that draw behavioural parameters from the posterior."""
