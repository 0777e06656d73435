# Each part of a scene that continues is a generation of the chain: 1 + 5 parts > 5.
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
  shot 30s wide: The fox reaches the forest.
#! SB652 7:12
