"""Command lines: ``python -m vsstvun`` (:mod:`.main`) and the extras check the training,
evaluation and benchmark commands run first (:mod:`.extras`)."""
