"""The serial pattern's proxy: predictors called in order, each feeding the next."""
