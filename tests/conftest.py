import matplotlib

matplotlib.use("Agg")  # tests never need a display

# Solutions and hidden tests that the grading tests hand to the grader; they are
# not tests of this package.
collect_ignore = ["grading"]
