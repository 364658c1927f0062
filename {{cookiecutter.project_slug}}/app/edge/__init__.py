"""Edge AI: the device bundle (export), the server that distributes it, and a device client.

`export` turns the trained model into a bundle a device runs (ORT format, int8 where it
helps, a manifest with checksum and accuracy); `app` is the predictor with the bundle's
routes composed in; `client` is what a device runs: sync the bundle, predict offline.
"""
