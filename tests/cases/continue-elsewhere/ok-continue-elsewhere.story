# A clip that starts on the last frame of a clip of another storyboard; one that continues its video.
model wan2.7-i2v
resolution 720P
clip next 5s
  continue "episode-one.story" short
  The fox climbs the bank.
clip after 10s
  continue "episode-one.story" short clip
  The fox looks back.
