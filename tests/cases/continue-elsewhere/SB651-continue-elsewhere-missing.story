# A clip of another storyboard that is not there, and a storyboard outside the project.
model wan2.7-i2v
resolution 720P
clip next 5s
  continue "episode-one.story" shrot
  The fox climbs the bank.
clip later 5s
  continue "../../elsewhere.story" long
  The fox sleeps.
#! SB651 5:32
#! SB651 8:36
