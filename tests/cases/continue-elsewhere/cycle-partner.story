# Continues the SB650 case beside it, which continues this one (not a case itself).
model wan3.0-video
resolution 720P
clip back 5s
  continue "SB650-continue-elsewhere-cycle.story" there
  The fox turns back.
