import matplotlib

matplotlib.use("Agg")  # tests never need a display
