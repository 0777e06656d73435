# An original storyboard of clips that follow each other (the picture in refs/ is drawn by refs/draw.py).
# `arrival` starts from a picture; `waiting` is a scene longer than one clip, split in two parts that
# chain: `waiting-1` starts on the last frame of `arrival`, `waiting-2` on the last frame of `waiting-1`;
# `departure` starts on the last frame of `waiting-2`. `story render` makes them in that order, each
# from the frame before it. The last clip asks for two takes; `story select main.story departure 2`
# picks the second.
storyboard "Bus Stop"
model wan2.7-i2v
resolution 720P
language en
watermark off
seed 20261203

cast rui: a tired nurse in a grey coat

clip arrival 5s
  first-frame: refs/bus-stop.png
  Rain drifts past the yellow sign of an empty bus stop at night; @rui walks in and sits on the bench.

scene waiting
  continue arrival
  shot 8s medium: @rui checks her watch as headlights sweep across the shelter.
  shot 8s close-up: Rain runs down the timetable; @rui closes her eyes for a moment.

clip departure 5s
  continue waiting
  takes 2
  A night bus pulls in; @rui steps aboard and the doors close behind her.
