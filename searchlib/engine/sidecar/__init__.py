"""The impact sidecar: numpy files beside each generation, and the scorer that reads them."""
