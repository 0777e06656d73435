# Three clips in long-partner.story and three here: a chain of 6, longer than 5.
model wan3.0-video
resolution 720P
clip d1 5s
  continue "long-partner.story" c3
  The fox leaps.
clip d2 5s
  continue d1
  The fox lands.
clip d3 5s
  continue d2
  The fox rests.
#! SB652 11:12
