# wan2.7-i2v continues clips of 2-10 s; `long` in episode-one.story is 12 s.
model wan2.7-i2v
resolution 720P
clip next 15s
  continue "episode-one.story" long clip
  The fox climbs the bank.
#! SB655 5:32
