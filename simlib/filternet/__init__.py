"""FilterNet: LGN firing rates and spikes from visual stimuli (linear-nonlinear-Poisson filter models)."""
