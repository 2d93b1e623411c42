[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Loftr.Tests")]
