"""届ける: bulletins (見守り通信・注意喚起) from the secretariat to members: page, mail, print."""
