# A scene that continues a clip: 1 + 4 parts, within the chain's bound of 5.
model wan3.0-video
resolution 720P
clip dawn 5s
  The fox wakes in the den.
scene run
  continue dawn
  shot 30s wide: The fox runs through the snow.
  shot 30s wide: The fox leaps a stream.
  shot 30s wide: The fox climbs a ridge.
  shot 30s wide: The fox crosses the ice.
