# A chain through another storyboard that comes back to the clip it starts from.
model wan3.0-video
resolution 720P
clip there 5s
  continue "cycle-partner.story" back
  The fox runs on.
#! SB650 5:34
