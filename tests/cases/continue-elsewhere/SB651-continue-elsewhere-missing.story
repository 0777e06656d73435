# A clip of another storyboard that is not there, a storyboard outside the project, a folder.
model wan2.7-i2v
resolution 720P
clip next 5s
  continue "episode-one.story" shrot
  The fox climbs the bank.
clip later 5s
  continue "../../elsewhere.story" long
  The fox sleeps.
clip folder 5s
  continue "../continue-elsewhere" long
  The fox sleeps again.
#! SB651 5:32
#! SB651 8:36
#! SB651 11:36
