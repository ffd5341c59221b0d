"""The gaze domain: eye simulators, UnityEyes / MPIIGaze readers, crops, labels."""
