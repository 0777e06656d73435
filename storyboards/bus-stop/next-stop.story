# Episode two of main.story: it opens on the last frame of `departure` there (the take main.lock
# selects), so `story render main.story next-stop.story` makes main's clips first; `home` continues
# the video of `aboard` itself (`clip`), which wan2.7-i2v extends: its 8 seconds include aboard's 5.
storyboard "Bus Stop: the next stop"
model wan2.7-i2v
resolution 720P
language en
watermark off
seed 20261204

cast rui: a tired nurse in a grey coat

clip aboard 5s
  continue "main.story" departure
  Inside the night bus, @rui takes a seat by the rain-streaked window.

clip home 8s
  continue aboard clip
  The bus slows at her stop; @rui stands and steps down into the rain.
