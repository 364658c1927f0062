"""The preprocess service: a fitted scikit-learn transformer in front of the predictor."""
